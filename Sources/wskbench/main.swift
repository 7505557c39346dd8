// Benchmarks, release builds only: `swift run -c release wskbench`.
// Every figure is printed next to a baseline measured in the same run.
print("wskbench: no benchmarks yet")
