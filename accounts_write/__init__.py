"""Write side (DDD): bank-account aggregates, commands and the transactional outbox in MongoDB."""
