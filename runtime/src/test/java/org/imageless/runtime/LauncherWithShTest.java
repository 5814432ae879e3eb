package org.imageless.runtime;

/**
 * {@link LauncherTest} with the launcher run by {@code /bin/sh} (dash on Debian): make build uses it where there is
 * no mksh-static, so the script must behave the same under both.
 */
class LauncherWithShTest extends LauncherTest {

    @Override
    String shell() {
        return "/bin/sh";
    }
}
