// Package integration holds the tests of the local platform itself (test/stack): they run
// with the build tag "integration" against the real servers that `make stack-up` starts,
// and fail, never skip, when the platform is not up.
package integration
