"""volunteer — 志愿服务 and the 闪闪红星 red-star ledger."""
