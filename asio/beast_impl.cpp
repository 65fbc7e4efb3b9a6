// The one translation unit that compiles Beast for the project.
#include <utility>

#include <boost/beast/src.hpp>
