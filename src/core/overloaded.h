// overloaded{...}: one visitor from several lambdas, for std::visit over the
// protocols' message variants.
#pragma once

namespace grypt {

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

}  // namespace grypt
