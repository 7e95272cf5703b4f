"""The member's side of an order: partner shops, the cart, the request, the order pages."""
