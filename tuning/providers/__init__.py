"""Fine-tuning providers behind one interface (see `base.Provider`)."""
