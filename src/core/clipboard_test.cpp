#include "core/clipboard.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "core/error.h"

namespace grypt {
namespace {

// Sets an environment variable for one test, and puts back what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* was = std::getenv(name);
    if (was) was_ = was;
    had_ = was != nullptr;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (had_)
      ::setenv(name_, was_.c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::string was_;
  bool had_ = false;
};

TEST(ClipSeconds, DefaultOrAWholeNumberFromOneToADay) {
  {
    ScopedEnv e("GRYPT_CLIP_TIME", nullptr);
    EXPECT_EQ(clip_seconds(), 45u);
  }
  {
    ScopedEnv e("GRYPT_CLIP_TIME", "");  // empty is unset
    EXPECT_EQ(clip_seconds(), 45u);
  }
  for (const char* good : {"1", "10", "86400"}) {
    ScopedEnv e("GRYPT_CLIP_TIME", good);
    EXPECT_EQ(clip_seconds(), std::stoul(good));
  }
  for (const char* bad : {"0", "86401", "-1", "1.5", " 5", "5s", "999999999999"}) {
    ScopedEnv e("GRYPT_CLIP_TIME", bad);
    EXPECT_THROW(clip_seconds(), UsageError) << bad;
  }
}

TEST(Clipboard, WaylandFirstThenX11ElseNone) {
  ScopedEnv path("PATH", "/nonexistent");
  {
    ScopedEnv w("WAYLAND_DISPLAY", nullptr), x("DISPLAY", nullptr);
    try {
      Clipboard::of_session();
      FAIL();
    } catch (const UsageError& e) {
      EXPECT_STREQ(e.what(), "cannot copy to the clipboard: neither WAYLAND_DISPLAY nor DISPLAY is set");
    }
  }
  {
    ScopedEnv w("WAYLAND_DISPLAY", "wayland-0"), x("DISPLAY", ":0");
    try {
      Clipboard::of_session();
      FAIL();
    } catch (const UsageError& e) {
      EXPECT_STREQ(e.what(), "cannot copy to the clipboard: no wl-copy on PATH "
                             "(WAYLAND_DISPLAY is set; install wl-clipboard)");
    }
  }
  {
    ScopedEnv w("WAYLAND_DISPLAY", ""), x("DISPLAY", ":0");
    try {
      Clipboard::of_session();
      FAIL();
    } catch (const UsageError& e) {
      EXPECT_STREQ(e.what(), "cannot copy to the clipboard: no xclip on PATH (DISPLAY is set; install xclip)");
    }
  }
}

TEST(ClipboardOutput, CollectsUpTo64KiB) {
  ClipboardOutput out("too large");
  out.write(as_bytes("abc"));
  out.write(as_bytes("def"));
  EXPECT_EQ(out.take().view(), "abcdef");
  ClipboardOutput full("too large");
  std::string chunk(max_clip_bytes, 'x');
  full.write(as_bytes(chunk));
  EXPECT_THROW(full.write(as_bytes("y")), UsageError);
}

}  // namespace
}  // namespace grypt
