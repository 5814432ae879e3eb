package org.imageless.node.image;

/**
 * An image reference normalised the way containerd's CRI plugin (and docker) normalise it:
 * {@code flox/empty:1.0.0} is {@code docker.io/flox/empty:1.0.0}, {@code busybox} is
 * {@code docker.io/library/busybox:latest}. Digest references are left as they are.
 */
public record ImageReference(String name) {

    public ImageReference {
        if (name == null || name.isBlank() || name.chars().anyMatch(c -> c <= ' ')) {
            throw new IllegalArgumentException("image reference '" + name + "' is empty or contains white space");
        }
    }

    /** Normalises {@code reference} to its fully qualified form, as the CRI plugin looks it up. */
    public static ImageReference parse(String reference) {
        if (reference == null || reference.isBlank()) {
            throw new IllegalArgumentException("image reference is empty");
        }
        String ref = reference.strip();
        int slash = ref.indexOf('/');
        String first = slash < 0 ? "" : ref.substring(0, slash);
        boolean hasDomain = slash >= 0 && (first.contains(".") || first.contains(":") || first.equals("localhost"));
        String domain = hasDomain ? first : "docker.io";
        String path = hasDomain ? ref.substring(slash + 1) : ref;
        if (domain.equals("docker.io") && !path.contains("/")) {
            path = "library/" + path;
        }
        int at = path.indexOf('@');
        String beforeDigest = at < 0 ? path : path.substring(0, at);
        boolean tagged = beforeDigest.lastIndexOf(':') > beforeDigest.lastIndexOf('/');
        if (at < 0 && !tagged) {
            path = path + ":latest";
        }
        return new ImageReference(domain + "/" + path);
    }

    @Override
    public String toString() {
        return name;
    }
}
