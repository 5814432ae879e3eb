package org.imageless.hub.web;

import java.util.Collection;
import java.util.function.Function;

/**
 * A piece of HTML that is safe to send: built only by {@link #of} (a trusted template whose
 * arguments are escaped unless they are themselves {@code Html}), {@link #text} (escaped text) or
 * {@link #join}. Nothing a user or a push controls reaches a page unescaped.
 */
record Html(String raw) {

    static final Html EMPTY = new Html("");

    /** {@code template} (a constant of this package) with each {@code %s} replaced by an argument, escaped unless {@code Html}. */
    static Html of(String template, Object... args) {
        Object[] safe = new Object[args.length];
        for (int i = 0; i < args.length; i++) {
            safe[i] = args[i] instanceof Html h ? h.raw : escape(String.valueOf(args[i]));
        }
        return new Html(template.formatted(safe));
    }

    static Html text(String text) {
        return new Html(escape(text));
    }

    static <T> Html join(Collection<T> items, Function<T, Html> each) {
        StringBuilder sb = new StringBuilder();
        for (T item : items) {
            sb.append(each.apply(item).raw);
        }
        return new Html(sb.toString());
    }

    static Html when(boolean condition, Html html) {
        return condition ? html : EMPTY;
    }

    /** Escapes the five characters that matter in HTML text and quoted attribute values. */
    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return raw;
    }
}
