"""Operations: Prometheus metrics (`metrics`) and structured logs carrying request and job
ids (`logs`)."""
