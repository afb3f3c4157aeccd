package main

// The example's printed results are part of docs/grpc.md: keep them true.
func Example() {
	main()
	// Output:
	// alice -> storage <nil>
	// alice -> storage <nil>
	// bob -> storage <nil>
	// handler runs: 2
	// client hits: 2 of 3
	// handler runs: 3
}
