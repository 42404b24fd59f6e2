"""Registry protocol clients: one module per protocol, one interface for all."""
