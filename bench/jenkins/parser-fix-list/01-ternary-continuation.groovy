def v = cond
  ? 'a'
  : 'b'