package org.imageless.hub.web;

import io.javalin.config.RoutesConfig;
import org.imageless.hub.Hub;
import org.imageless.hub.activation.ActivationRoutes;
import org.imageless.hub.activation.Activations;
import org.imageless.hub.device.DeviceCodes;
import org.imageless.hub.device.DeviceRoutes;
import org.imageless.hub.server.Routes;

/**
 * What people and nodes see besides the environment API: the web UI, device-code login (contract
 * C3) and activation reports (contract C2), which the UI shows as "running now".
 */
public final class WebFeature implements Routes {

    private final Routes[] parts;

    public WebFeature(Hub hub) {
        Activations activations = new Activations(hub.database().jdbi(), hub.clock());
        DeviceCodes deviceCodes = new DeviceCodes(hub.database().jdbi(), hub.tokens(), hub.clock());
        this.parts = new Routes[] {new ActivationRoutes(hub, activations), new DeviceRoutes(hub, deviceCodes),
                new WebUi(hub, activations, deviceCodes)};
    }

    @Override
    public void register(RoutesConfig routes) {
        for (Routes r : parts) {
            r.register(routes);
        }
    }
}
