"""The kit's own tooling: running notebooks and guides in kernels, timing CI's stages."""
