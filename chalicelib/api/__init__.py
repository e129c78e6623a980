"""HTTP entry points: parse input, call one service function, shape the answer."""
