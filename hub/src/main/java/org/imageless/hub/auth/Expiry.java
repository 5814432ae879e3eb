package org.imageless.hub.auth;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imageless.hub.HubException;

/** How long a token lives: {@code <n>d}, {@code <n>y} (365 days) or {@code never}. */
public record Expiry(Optional<Duration> duration) {

    public static final Expiry NEVER = new Expiry(Optional.empty());
    private static final Pattern FORM = Pattern.compile("([1-9][0-9]{0,4})([dy])");

    public static Expiry of(Duration d) {
        return new Expiry(Optional.of(d));
    }

    public static Expiry parse(String text) {
        if (text.equals("never")) {
            return NEVER;
        }
        Matcher m = FORM.matcher(text);
        if (!m.matches()) {
            throw HubException.invalid("expiry '%s' is not valid: use a number of days or years such as 30d, 90d, 1y, or 'never'", text);
        }
        long n = Long.parseLong(m.group(1));
        return of(Duration.ofDays(m.group(2).equals("y") ? n * 365 : n));
    }
}
