/**
 * Environments and their generations. Git is the storage: one bare repository per owner
 * ({@code <data>/git/<owner>/floxmeta.git}, see {@link org.imageless.hub.environment.FloxmetaStore}),
 * one branch per environment in Flox's layout. The {@code environments} table adds visibility and
 * times; {@link org.imageless.hub.environment.Environments} is the service the REST API, the UI
 * and the cache's read rule use.
 */
package org.imageless.hub.environment;
