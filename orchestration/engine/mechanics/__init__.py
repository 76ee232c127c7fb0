"""Small helpers the behaviours share: expressions, variables, timers."""
