"""Domain (pure Python): the bank-account aggregate, its commands, events, errors and value objects."""
