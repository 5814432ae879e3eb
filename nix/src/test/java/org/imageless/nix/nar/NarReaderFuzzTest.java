package org.imageless.nix.nar;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.imageless.nix.NixException;
import org.imageless.nix.hash.Hash;

/**
 * Arbitrary bytes given to the unpacker (and so to the reader): either they are a canonical NAR,
 * unpacked into exactly the target and dumping back to the very same bytes, or they are rejected
 * with a {@link NixException} (a {@link NarFormatException} for format errors) and nothing at all is
 * left behind. Any other exception, or a file outside the target, is a finding that fails the build.
 *
 * <p>Runs on the seed corpus in {@code NarReaderFuzzTestInputs/} with every {@code mvn test}; it
 * really fuzzes in its own surefire execution (see {@code nix/pom.xml}).
 */
class NarReaderFuzzTest {

    @DictionaryFile(resourcePath = "nar.dict")
    @FuzzTest(maxDuration = "30s")
    void unpacksOrRejectsArbitraryBytes(byte[] nar) throws IOException {
        Path parent = Files.createTempDirectory("nar-fuzz-");
        Path target = parent.resolve("target");
        try {
            boolean accepted;
            try {
                NarUnpacker.unpack(new ByteArrayInputStream(nar), target);
                accepted = true;
            } catch (NixException e) {
                accepted = false;
            }
            try (Stream<Path> s = Files.list(parent)) {
                assertThat(s.toList()).as("what the unpacker left beside its target")
                        .isEqualTo(accepted ? List.of(target) : List.of());
            }
            if (accepted) {
                assertThat(NarDigest.of(target)).as("an accepted NAR dumps back to the same bytes")
                        .isEqualTo(new NarDigest(Hash.sha256(nar), nar.length));
            } else {
                assertThat(Files.exists(target, LinkOption.NOFOLLOW_LINKS)).isFalse();
            }
        } finally {
            NarUnpacker.deleteTree(parent);
        }
    }
}
