package org.imageless.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import org.imageless.cli.HubClient;
import org.imageless.nix.NixException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flox search} and {@code flox show}: the hub's catalog. */
public final class CatalogCommands {

    private CatalogCommands() {
    }

    @Command(name = "search", description = "Search for packages in the FloxHub catalog.")
    public static final class Search extends FloxCommand {
        @Parameters(paramLabel = "TERM", description = "What to look for in package names and descriptions.")
        String term;

        @Option(names = "--limit", paramLabel = "N", description = "At most N results (default 10).")
        int limit = 10;

        @Option(names = {"-a", "--all"}, description = "All results (up to 1000).")
        boolean all;

        @Override
        protected void run() {
            int n = all ? 1000 : limit;
            JsonNode r = session().hub().get("/api/v1/catalog/search?q=" + HubClient.encode(term) + "&limit=" + n);
            JsonNode results = r.path("results");
            if (results.isEmpty()) {
                session().err().println("No packages matched this search term: " + term
                        + " (try a shorter term, or 'flox auth login' to see private packages)");
                return;
            }
            int width = 0;
            for (JsonNode hit : results) {
                width = Math.max(width, hit.path("pkg_path").asText().length());
            }
            for (JsonNode hit : results) {
                session().out().printf("%-" + width + "s  %s%n", hit.path("pkg_path").asText(),
                        hit.path("description").asText(""));
            }
            session().err().printf("%nUse 'flox show <package>' to see available versions%n");
        }
    }

    @Command(name = "show", description = "Show the versions of a catalog package.")
    public static final class Show extends FloxCommand {
        @Parameters(paramLabel = "PKG", description = "The package, as OWNER/NAME.")
        String pkg;

        @Override
        protected void run() {
            int slash = pkg.indexOf('/');
            if (slash <= 0 || slash != pkg.lastIndexOf('/') || slash == pkg.length() - 1) {
                throw NixException.invalid("'%s' is not a catalog package: name it as OWNER/NAME (find it with 'flox search %s')",
                        pkg, pkg);
            }
            JsonNode p = session().hub().get("/api/v1/catalog/" + HubClient.encode(pkg.substring(0, slash)) + "/packages/"
                    + HubClient.encode(pkg.substring(slash + 1)));
            JsonNode versions = p.path("versions");
            String description = versions.isEmpty() ? "" : versions.get(0).path("description").asText("");
            session().out().println(p.path("pkg_path").asText() + " - " + description);
            for (JsonNode v : versions) {
                session().out().printf("    %s@%s (%s)%n", p.path("pkg_path").asText(), v.path("version").asText(),
                        String.join(", ", iterable(v.path("systems").fieldNames())));
            }
        }

        private static Iterable<String> iterable(java.util.Iterator<String> it) {
            return () -> it;
        }
    }
}
