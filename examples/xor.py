"""Train a 2-4-2 tanh MLP on XOR with ottorch's autograd (raw tensors and a hand-written SGD step)."""

import ottorch

g = ottorch.Generator().manual_seed(0)
x = ottorch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y = ottorch.tensor([0, 1, 1, 0])
w1 = (ottorch.randn(4, 2, generator=g) * 0.7).requires_grad_()
b1 = ottorch.zeros(4, requires_grad=True)
w2 = (ottorch.randn(2, 4, generator=g) * 0.5).requires_grad_()
b2 = ottorch.zeros(2, requires_grad=True)
params = [w1, b1, w2, b2]
rows = ottorch.arange(4)

for epoch in range(1, 501):
    logits = (x @ w1.T + b1).tanh() @ w2.T + b2
    loss = -logits.log_softmax(1)[rows, y].mean()
    loss.backward()
    with ottorch.no_grad():
        for p in params:
            p -= 0.5 * p.grad
            p.grad = None
    if epoch % 100 == 0:
        acc = (logits.argmax(1) == y).float().mean().item()
        print(f"epoch {epoch:4d}  loss {loss.item():.4f}  accuracy {acc:.0%}")

pred = ((x @ w1.T + b1).tanh() @ w2.T + b2).argmax(1)
print("predictions", pred.tolist(), "targets", y.tolist())
raise SystemExit(0 if pred.equal(y) else 1)
