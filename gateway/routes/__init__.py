"""The gateway's routes, one module per area; ``gateway.service`` combines them."""
