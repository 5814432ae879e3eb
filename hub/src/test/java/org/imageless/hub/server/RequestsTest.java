package org.imageless.hub.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RequestsTest {

    @Test
    void theWarningHeaderIsAQuotedStringOfPrintableAsciiWhateverTheTokensNameHolds() {
        assertThat(Requests.warningValue("token 1 ('caf\u00e9 \"x\" \\ y\nz') was revoked"))
                .isEqualTo("299 floxhub \"token 1 ('caf? 'x' ' y?z') was revoked\"");
    }
}
