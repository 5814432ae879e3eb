package org.imageless.environment;

import java.util.OptionalInt;
import org.imageless.nix.NixException;

/**
 * An environment on the hub, {@code owner/name}, optionally pinned to one generation:
 * {@code owner/name:generation}. This is the value of the pod annotation {@code flox.dev/environment}
 * and of {@code flox ... -r owner/name}.
 *
 * <p>Owner and name follow FloxHub-like rules: ASCII letters, digits, {@code -}, {@code _} and
 * {@code .}, not starting with {@code .} or {@code -}, at most {@value #MAX_LENGTH} characters. A
 * generation is a positive decimal integer.
 */
public record EnvironmentRef(String owner, String name, OptionalInt generation) {

    public static final int MAX_LENGTH = 100;
    private static final String FORM = "expected 'owner/name[:generation]'";

    public EnvironmentRef {
        String shown = owner + "/" + name + (generation.isPresent() ? ":" + generation.getAsInt() : "");
        checkPart(shown, "owner", owner);
        checkPart(shown, "name", name);
        if (generation.isPresent() && generation.getAsInt() < 1) {
            throw NixException.invalid("environment reference '%s' has generation %d: generations start at 1",
                    shown, generation.getAsInt());
        }
    }

    public static EnvironmentRef of(String owner, String name) {
        return new EnvironmentRef(owner, name, OptionalInt.empty());
    }

    /** Parses {@code owner/name} or {@code owner/name:generation}. */
    public static EnvironmentRef parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw NixException.invalid("environment reference '%s' has no '/': %s", text, FORM);
        }
        String owner = text.substring(0, slash);
        String rest = text.substring(slash + 1);
        if (rest.indexOf('/') >= 0) {
            throw NixException.invalid("environment reference '%s' has more than one '/': %s", text, FORM);
        }
        String name = rest;
        OptionalInt generation = OptionalInt.empty();
        int colon = rest.indexOf(':');
        if (colon >= 0) {
            name = rest.substring(0, colon);
            String number = rest.substring(colon + 1);
            generation = OptionalInt.of(parseGeneration(text, number));
        }
        if (owner.isEmpty()) {
            throw NixException.invalid("environment reference '%s' has an empty owner: %s", text, FORM);
        }
        if (name.isEmpty()) {
            throw NixException.invalid("environment reference '%s' has an empty name: %s", text, FORM);
        }
        return new EnvironmentRef(owner, name, generation);
    }

    private static int parseGeneration(String text, String number) {
        if (number.isEmpty()) {
            throw NixException.invalid("environment reference '%s' has an empty generation after ':': %s", text, FORM);
        }
        for (int i = 0; i < number.length(); i++) {
            if (number.charAt(i) < '0' || number.charAt(i) > '9') {
                throw NixException.invalid(
                        "environment reference '%s' has generation '%s': expected a positive integer", text, number);
            }
        }
        int value;
        try {
            value = Integer.parseInt(number);
        } catch (NumberFormatException e) {
            throw NixException.invalid("environment reference '%s' has generation '%s': too large", text, number);
        }
        if (value < 1) {
            throw NixException.invalid(
                    "environment reference '%s' has generation '%s': expected a positive integer", text, number);
        }
        return value;
    }

    private static void checkPart(String shown, String what, String part) {
        if (part.isEmpty()) {
            throw NixException.invalid("environment reference '%s' has an empty %s: %s", shown, what, FORM);
        }
        if (part.length() > MAX_LENGTH) {
            throw NixException.invalid("environment reference '%s' has a %s longer than %d characters",
                    shown, what, MAX_LENGTH);
        }
        char first = part.charAt(0);
        if (first == '.' || first == '-') {
            throw NixException.invalid("environment reference '%s' has a %s starting with '%s'", shown, what, first);
        }
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.';
            if (!ok) {
                throw NixException.invalid(
                        "environment reference '%s' has illegal character '%s' in its %s: allowed are letters, digits, '-', '_' and '.'",
                        shown, c, what);
            }
        }
    }

    /** The same environment pinned to {@code number}. */
    public EnvironmentRef withGeneration(int number) {
        return new EnvironmentRef(owner, name, OptionalInt.of(number));
    }

    /** {@code owner/name}, without the generation: Flox's environment description. */
    public String description() {
        return owner + "/" + name;
    }

    @Override
    public String toString() {
        return generation.isPresent() ? description() + ":" + generation.getAsInt() : description();
    }
}
