package org.imageless.hub.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.imageless.hub.testing.RunningHub;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The served OpenAPI document describes exactly the /api/v1 routes the server has. */
class OpenApiTest {

    @TempDir
    Path tmp;

    @Test
    void theOpenApiDocumentDescribesEveryRegisteredApiRouteAndNoOthers() {
        try (RunningHub hub = RunningHub.start(tmp.resolve("hub"))) {
            JsonNode doc = hub.call("GET", OpenApiRoutes.PATH, null, null, 200);
            assertThat(doc.path("openapi").asText()).isEqualTo("3.1.0");

            Set<String> registered = new TreeSet<>();
            for (String route : hub.server().routes()) {
                String path = route.substring(route.indexOf(' ') + 1);
                if (path.startsWith("/api/v1/")) {
                    registered.add(route);
                }
            }
            assertThat(registered).as("the environments API is registered").contains("POST /api/v1/environments/{owner}/{name}/generations/{generation}/switch");

            Set<String> documented = new TreeSet<>();
            doc.path("paths").properties().forEach(path -> path.getValue().properties().forEach(op ->
                    documented.add(op.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey())));

            assertThat(registered).as("the events and device-login APIs are registered")
                    .contains("PUT /api/v1/events", "POST /api/v1/auth/device/token");
            assertThat(documented).as("every registered /api/v1 route is in openapi.json").containsAll(registered);
            assertThat(registered).as("every route in openapi.json exists").containsAll(documented);
        }
    }

    @Test
    void everyOperationHasResponsesAndEveryReferenceResolves() {
        try (RunningHub hub = RunningHub.start(tmp.resolve("hub"))) {
            JsonNode doc = hub.call("GET", OpenApiRoutes.PATH, null, null, 200);
            doc.path("paths").properties().forEach(path -> path.getValue().properties().forEach(op -> {
                assertThat(op.getValue().path("responses").isEmpty()).as("%s %s has responses", op.getKey(), path.getKey()).isFalse();
                assertThat(op.getValue().path("summary").asText()).as("%s %s has a summary", op.getKey(), path.getKey()).isNotBlank();
                for (String param : pathParams(path.getKey())) {
                    boolean declared = false;
                    for (JsonNode p : op.getValue().path("parameters")) {
                        declared |= p.path("in").asText().equals("path") && p.path("name").asText().equals(param);
                    }
                    assertThat(declared).as("%s %s declares path parameter %s", op.getKey(), path.getKey(), param).isTrue();
                }
            }));
            List<String> refs = new ArrayList<>();
            collectRefs(doc, refs);
            assertThat(refs).isNotEmpty();
            for (String ref : refs) {
                assertThat(ref).startsWith("#/");
                assertThat(doc.at(ref.substring(1)).isMissingNode()).as("%s resolves", ref).isFalse();
            }
        }
    }

    private static List<String> pathParams(String path) {
        List<String> params = new ArrayList<>();
        var m = java.util.regex.Pattern.compile("\\{([^}]+)}").matcher(path);
        while (m.find()) {
            params.add(m.group(1));
        }
        return params;
    }

    private static void collectRefs(JsonNode node, List<String> refs) {
        if (node.isObject()) {
            node.properties().forEach(e -> {
                if (e.getKey().equals("$ref")) {
                    refs.add(e.getValue().asText());
                } else {
                    collectRefs(e.getValue(), refs);
                }
            });
        } else if (node.isArray()) {
            node.forEach(n -> collectRefs(n, refs));
        }
    }
}
