def v = x
  ?: 'y'