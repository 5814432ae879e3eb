/** FloxHub: the server that holds environments, packages, the binary cache and access. */
package org.imageless.hub;
