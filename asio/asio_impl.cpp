// The one translation unit that compiles Asio and Asio SSL for the project.
#include <utility>

#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
