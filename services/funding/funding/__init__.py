"""一张网 funding: the 共建实践金 co-building fund."""
