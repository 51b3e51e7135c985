"""How the API describes itself: discovery, OpenAPI v2 and v3, and upstream's schema behind them."""
