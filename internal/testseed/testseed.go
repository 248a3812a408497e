// Package testseed makes randomized tests reproducible: each draws from a generator
// seeded by Seed, which logs the seed and takes it from $NODEGUARDIAN_TEST_SEED when set,
// so that any failure can be replayed:
//
//	NODEGUARDIAN_TEST_SEED=1234 go test ./internal/engine -run TestApplyThenPlanHasNoChanges
//
// A test is reproducible from its seed only if every draw happens in a fixed order:
// iterate maps in sorted order (slices.Sorted(maps.Keys(m))) wherever a draw depends on
// the order.
package testseed

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
)

// EnvVar names the environment variable that overrides the seed of every randomized
// test (a decimal uint64).
const EnvVar = "NODEGUARDIAN_TEST_SEED"

// Seed returns the seed of a randomized test: $NODEGUARDIAN_TEST_SEED when set and not
// empty, else dflt. It logs the seed at once, and again, with how to replay it, if the test fails.
func Seed(t testing.TB, dflt uint64) uint64 {
	t.Helper()
	seed := dflt
	if v := os.Getenv(EnvVar); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: not a decimal uint64: %v", EnvVar, v, err)
		}
		seed = s
	}
	t.Logf("random seed %d (replay with %s=%d)", seed, EnvVar, seed)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("failed with random seed %d: replay with %s=%d go test -run '^%s$'", seed, EnvVar, seed, t.Name())
		}
	})
	return seed
}

// Rand returns a generator for stream of a test's seed: tests that need several
// independent generators (one per random fleet, say) number them.
func Rand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}
