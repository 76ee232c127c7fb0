"""One module per element family; each behaviour is stateless."""
