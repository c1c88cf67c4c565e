"""Parity of bit sequences of 4 to 12 bits with an LSTM, batched by length without padding.

    python examples/parity_lstm_var_len.py [--epochs 100] [--seed 0] [--quick] [--out runs/parity_lstm_var_len]

nn.LSTM(1 -> 16) reads the bits (as -1/+1) and a linear layer classifies its last output; the data,
the BucketedDataLoader and the outputs are those of parity_rnn_var_len.py, which this script runs
with its own recipe: 2000 training sequences in batches of 16, Adam 0.01 with clipping and a
cosine-annealed learning rate, for 100 epochs.

Target: >= 98% accuracy on 2000 test sequences. ``--quick`` runs the same budget (the LSTM leaves the plateau late;
shorter runs stay at 50% on this seed) with the target >= 70%.
Exits non-zero if the target is missed.
"""

from parity_rnn_var_len import Recipe, main

RECIPE = Recipe("parity_lstm_var_len", "LSTM", target=0.98, epochs=100, n_train=2000, batch_size=16,
                weight_decay=0.0, quick_epochs=100, quick_n_train=2000)

if __name__ == "__main__":
    raise SystemExit(main(RECIPE, __doc__))
