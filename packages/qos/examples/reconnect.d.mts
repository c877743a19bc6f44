// The example runs for its output only; it exports nothing.
export {};
