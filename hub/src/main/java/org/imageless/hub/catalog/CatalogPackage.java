package org.imageless.hub.catalog;

import java.util.List;
import org.imageless.hub.auth.Visibility;

/** A package of an owner's catalog with its versions, newest (last published) first. */
public record CatalogPackage(PkgPath pkgPath, Visibility visibility, List<PackageVersion> versions) {

    public CatalogPackage {
        versions = List.copyOf(versions);
    }
}
