package org.imageless.hub.web;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.imageless.hub.web.WebSessions.Visitor;

/** The frame of every page: head, style, the bar with sign-in state; plus small shared pieces. */
final class Layout {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    private static final String STYLE = """
            body{font-family:system-ui,sans-serif;margin:0;color:#1d232b;background:#fafbfc}
            header{background:#1d232b;color:#fff;padding:.6em 1.2em;display:flex;gap:1.2em;align-items:center}
            header a{color:#fff}header .grow{flex:1}header form{display:inline;margin:0}
            main{max-width:70em;margin:1.5em auto;padding:0 1.2em}
            table{border-collapse:collapse;width:100%%;margin:.8em 0}
            th,td{border-bottom:1px solid #dde1e6;padding:.35em .6em;text-align:left;vertical-align:top}
            pre{background:#f0f2f4;padding:.8em;overflow-x:auto}
            nav.tabs a{display:inline-block;padding:.4em .9em;border:1px solid #dde1e6;border-bottom:none;margin-right:.2em;text-decoration:none}
            nav.tabs a.active{background:#fff;font-weight:bold}
            .badge{font-size:.8em;border:1px solid #888;border-radius:.8em;padding:0 .5em}
            .error{border-left:4px solid #c62828;background:#fdecea;padding:.6em 1em}
            .notice{border-left:4px solid #2e7d32;background:#edf7ee;padding:.6em 1em}
            .diff .add{color:#1b5e20;background:#e8f5e9}.diff .del{color:#b71c1c;background:#ffebee}.diff .hunk{color:#555}
            label{display:block;margin:.5em 0}input,select{font-size:1em;padding:.2em}
            """;

    private Layout() {}

    static String page(Visitor v, String title, Html body) {
        Html bar = v.signedIn()
                ? Html.of("""
                        <a href="/envs/%s">%s</a><a href="/tokens">Tokens</a>
                        <form method="post" action="/signout">%s<button type="submit" id="sign-out">Sign out</button></form>""",
                        v.name(), v.name(), csrf(v))
                : Html.of("<a href=\"/signin\" id=\"sign-in\">Sign in</a>");
        return Html.of("""
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
                <title>%s · FloxHub</title><style>%s</style></head>
                <body><header><a href="/"><strong>FloxHub</strong></a><span class="grow"></span>%s</header>
                <main>%s</main></body></html>
                """, title, new Html(STYLE.formatted()), bar, body).raw();
    }

    /** The hidden CSRF field every POST form carries. */
    static Html csrf(Visitor v) {
        return Html.of("<input type=\"hidden\" name=\"%s\" value=\"%s\">", WebSessions.CSRF_FIELD, v.csrf());
    }

    static String time(Instant t) {
        return TIME.format(t);
    }

    static String url(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
