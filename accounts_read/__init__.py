"""Read side: Django ORM read models on MySQL, selectors and query views; never touches MongoDB."""
