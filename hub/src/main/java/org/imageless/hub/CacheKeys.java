package org.imageless.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.imageless.nix.NixException;
import org.imageless.nix.sign.SigningKey;

/**
 * The hub's binary-cache signing key in the data directory: {@code cache-key.sec} (Nix's secret-key
 * format, mode 0600) and {@code cache-key.pub} (what nodes put in {@code trusted-public-keys}).
 * Created once, on first start, named {@code <public host>-1}; never replaced.
 */
final class CacheKeys {

    static final String SECRET_FILE = "cache-key.sec";
    static final String PUBLIC_FILE = "cache-key.pub";

    private CacheKeys() {}

    static SigningKey loadOrCreate(Path dataDir, String host) {
        Path secret = dataDir.resolve(SECRET_FILE);
        try {
            if (!Files.exists(secret)) {
                SigningKey key = SigningKey.generate(host + "-1");
                Path tmp = Files.createTempFile(dataDir, ".cache-key-", ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                try {
                    Files.writeString(tmp, key.toNixFormat() + "\n", StandardCharsets.UTF_8);
                    // no REPLACE_EXISTING: if another process created it meanwhile, theirs wins and we read it
                    Files.move(tmp, secret, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException e) {
                    // lost the race: fall through and read the winner's key
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            SigningKey key = SigningKey.parse(Files.readString(secret, StandardCharsets.UTF_8));
            Path pub = dataDir.resolve(PUBLIC_FILE);
            String pubText = key.publicKey() + "\n";
            if (!Files.exists(pub) || !Files.readString(pub).equals(pubText)) {
                Files.writeString(pub, pubText);
            }
            return key;
        } catch (IOException e) {
            throw new NixException(NixException.Kind.IO, "cannot create or read the signing key " + secret + ": " + e.getMessage(), e);
        }
    }
}
