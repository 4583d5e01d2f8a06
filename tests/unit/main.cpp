// The doctest runner for the unit tests; each concern has a file of its own beside this one.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
