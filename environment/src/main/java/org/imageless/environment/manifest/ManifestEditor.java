package org.imageless.environment.manifest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.imageless.nix.NixException;

/**
 * Text-preserving edits of {@code manifest.toml}, as {@code flox install} and {@code flox uninstall}
 * make them: only the lines of the entry concerned change; comments, blank lines and the formatting
 * of everything else stay byte for byte. Both methods validate the input and their result with
 * {@link Manifest#parse}.
 */
public final class ManifestEditor {

    private ManifestEditor() {
    }

    /**
     * Adds {@code <installId>.pkg-path = "<pkgPath>"} as the last entry of {@code [install]}, creating
     * the table at the end of the file if there is none (as {@code flox install hello} does).
     *
     * @throws NixException of kind INVALID if {@code installId} is already installed
     */
    public static String addInstall(String toml, String fileName, String installId, String pkgPath) {
        return addInstall(toml, fileName, installId, pkgPath, null);
    }

    /**
     * As {@link #addInstall(String, String, String, String)}, with {@code <installId>.version = "<version>"}
     * on the next line when {@code version} is not {@code null} ({@code flox install hello@2.12}).
     */
    public static String addInstall(String toml, String fileName, String installId, String pkgPath, String version) {
        Manifest before = Manifest.parse(toml, fileName);
        if (installId.isEmpty()) {
            throw NixException.invalid("install id is empty");
        }
        if (before.install().containsKey(installId)) {
            throw NixException.invalid("%s: '%s' is already installed (install.%s)", fileName, installId,
                    ManifestReader.dotted(List.of(installId)));
        }
        String newline = toml.contains("\r\n") ? "\r\n" : "\n";
        String entry = ManifestReader.dotted(List.of(installId)) + ".pkg-path = " + quote(pkgPath)
                + (version == null ? "" : newline + ManifestReader.dotted(List.of(installId)) + ".version = " + quote(version));
        List<String> lines = new ArrayList<>(Arrays.asList(toml.split("\n", -1)));
        TomlLines scan = TomlLines.scan(toml);
        int header = findHeader(lines, scan, List.of("install"));
        String result;
        if (header < 0) {
            StringBuilder b = new StringBuilder(toml);
            if (!toml.isEmpty() && !toml.endsWith("\n")) {
                b.append(newline);
            }
            if (!toml.isEmpty() && !toml.endsWith("\n\n") && !toml.endsWith("\r\n\r\n")) {
                b.append(newline);
            }
            b.append("[install]").append(newline).append(entry).append(newline);
            result = b.toString();
        } else {
            int end = sectionEnd(lines, scan, header);
            int insertAfter = header;
            for (int i = header + 1; i < end; i++) {
                String t = lines.get(i).strip();
                if (scan.isContinuation(i) || (!t.isEmpty() && !t.startsWith("#"))) {
                    insertAfter = i;
                }
            }
            String eol = lines.get(insertAfter).endsWith("\r") ? "\r" : "";
            lines.add(insertAfter + 1, entry + eol);
            result = String.join("\n", lines);
        }
        Manifest after = Manifest.parse(result, fileName);
        if (!after.install().containsKey(installId)) {
            throw new IllegalStateException("adding '" + installId + "' did not add it");
        }
        return result;
    }

    /**
     * Removes every line that defines {@code installId}: its keys in {@code [install]} and any
     * {@code [install.<id>]} table.
     *
     * @throws NixException of kind NOT_FOUND if {@code installId} is not installed
     */
    public static String removeInstall(String toml, String fileName, String installId) {
        Manifest before = Manifest.parse(toml, fileName);
        if (!before.install().containsKey(installId)) {
            throw new NixException(NixException.Kind.NOT_FOUND,
                    "%s: '%s' is not installed: installed are %s".formatted(fileName, installId,
                            before.install().keySet()));
        }
        List<String> lines = new ArrayList<>(Arrays.asList(toml.split("\n", -1)));
        TomlLines scan = TomlLines.scan(toml);
        boolean[] remove = new boolean[lines.size()];
        List<String> table = List.of();
        boolean removing = false; // inside the value or table being removed
        for (int i = 0; i < lines.size(); i++) {
            if (scan.isContinuation(i)) {
                remove[i] = removing;
                continue;
            }
            String t = lines.get(i).strip();
            if (t.startsWith("[")) {
                int[] pos = {t.startsWith("[[") ? 2 : 1};
                List<String> key = TomlLines.parseKey(t, pos);
                table = key == null ? List.of() : key;
                removing = startsWith(table, List.of("install", installId));
                remove[i] = removing;
                continue;
            }
            if (removing && startsWith(table, List.of("install", installId))) {
                remove[i] = true;
                continue;
            }
            removing = false;
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            int[] pos = {0};
            List<String> key = TomlLines.parseKey(t, pos);
            if (key == null) {
                continue;
            }
            List<String> full = new ArrayList<>(table);
            full.addAll(key);
            if (startsWith(full, List.of("install", installId))) {
                remove[i] = true;
                removing = true;
            }
        }
        // a removed [install.<id>] table keeps no trailing blank lines of its own
        List<String> kept = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (!remove[i]) {
                kept.add(lines.get(i));
            }
        }
        String result = String.join("\n", kept);
        Manifest after = Manifest.parse(result, fileName);
        if (after.install().containsKey(installId)) {
            throw new IllegalStateException("removing '" + installId + "' left it installed");
        }
        return result;
    }

    private static boolean startsWith(List<String> path, List<String> prefix) {
        return path.size() >= prefix.size() && path.subList(0, prefix.size()).equals(prefix);
    }

    private static int findHeader(List<String> lines, TomlLines scan, List<String> table) {
        for (int i = 0; i < lines.size(); i++) {
            String t = lines.get(i).strip();
            if (!scan.isContinuation(i) && t.startsWith("[") && !t.startsWith("[[")) {
                int[] pos = {1};
                List<String> key = TomlLines.parseKey(t, pos);
                if (table.equals(key)) {
                    return i;
                }
            }
        }
        return -1;
    }

    private static int sectionEnd(List<String> lines, TomlLines scan, int header) {
        for (int i = header + 1; i < lines.size(); i++) {
            if (!scan.isContinuation(i) && lines.get(i).strip().startsWith("[")) {
                return i;
            }
        }
        return lines.size();
    }

    static String quote(String value) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
