package org.imageless.runtime.edit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.TreeMap;
import org.imageless.environment.view.EnvironmentView;
import org.imageless.nix.store.StorePath;
import org.imageless.runtime.spec.ProcessSpec;

/**
 * Resolves the command through the activated {@code PATH}, as a shell would: a command without a
 * slash found in the environment view becomes its absolute path in the view; one found only in the
 * container's own image stays as it is (runc finds it there); one found nowhere is an error that
 * names the environment and the commands its packages provide.
 *
 * @param storeDir   the node store, where {@code /nix/store/...} paths are on the host
 * @param rootfs     the container's root file system on the host; null while the image is not mounted
 *                   there yet (a create planned ahead): a command that would be looked up in it then
 *                   throws {@link ImageNotMounted}
 * @param environment {@code owner/name:generation}, for messages
 * @param commands   the commands (bin/ entries) of each package, by install id, for messages
 */
public record ResolveCommand(Path storeDir, Path rootfs, String environment, Map<String, List<String>> commands)
        implements ProcessEdit {

    public ResolveCommand {
        commands = new TreeMap<>(commands);
    }

    @Override
    public void apply(ProcessSpec process) {
        List<String> args = new ArrayList<>(process.args());
        if (args.isEmpty()) {
            throw new IllegalArgumentException("the container has no command: its image is a placeholder without one, "
                    + "so set 'command' in the pod spec to a command of " + environment + " (" + provided() + ")");
        }
        String command = args.getFirst();
        if (command.contains("/")) {
            return;
        }
        SequencedMap<String, String> env = process.env();
        String path = env.getOrDefault("PATH", "");
        for (String entry : path.split(":")) {
            if (entry.isEmpty() || !entry.startsWith("/")) {
                continue;
            }
            if (entry.startsWith(StorePath.STORE_DIR + "/")) {
                if (isExecutable(storeDir.resolve(entry.substring(StorePath.STORE_DIR.length() + 1)).resolve(command))) {
                    args.set(0, entry + "/" + command);
                    process.setArgs(args);
                    return;
                }
            } else if (rootfs == null) {
                throw new ImageNotMounted(command);
            } else if (Files.exists(rootfs.resolve(entry.substring(1)).resolve(command), LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
        }
        throw new IllegalArgumentException("command '" + command + "' is not in environment " + environment
                + " (nor in the container's image): " + provided() + ". Set the pod's 'command' to one of these, "
                + "or install the package that provides '" + command + "' into the environment and push it");
    }

    /** The command is not in the environment (so far along PATH) and the image is not there to look in yet. */
    public static final class ImageNotMounted extends IllegalStateException {
        ImageNotMounted(String command) {
            super("command '" + command + "' is not in the environment, and the container's image is not mounted yet");
        }
    }

    private String provided() {
        if (commands.isEmpty()) {
            return "the environment has no packages for this node's system";
        }
        List<String> parts = new ArrayList<>();
        commands.forEach((pkg, bins) -> parts.add(pkg + " provides " + (bins.isEmpty() ? "no commands" : String.join(", ", bins))));
        return String.join("; ", parts);
    }

    private boolean isExecutable(Path p) {
        try {
            return isFile(EnvironmentView.resolve(p, storeDir));
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean isFile(Path p) {
        return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && Files.isExecutable(p);
    }
}
