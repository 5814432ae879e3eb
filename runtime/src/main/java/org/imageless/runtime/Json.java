package org.imageless.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;

/** The runtime's one JSON mapper: building a mapper costs start-up time, which every container start pays. */
public final class Json {

    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }
}
