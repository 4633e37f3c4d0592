"""Pages of Relais, one module per area. Each view: authenticate (page()), fetch through an
access helper, read the input, call one service, render."""
