"""What tests share: builders of test data, the query counter, the import-graph reader."""
