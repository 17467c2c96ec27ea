// The namespaces a caller may use. A task outside them does not exist for that caller: reads and
// changes by id answer NOT_FOUND, so ids do not reveal other tenants' tasks.
import { NotFoundError, OutOfScopeError, PermissionDeniedError } from "./errors.js";

export class Scope {
  /** Every namespace: authentication is off, or the token says "*". */
  static readonly all = new Scope(undefined);

  private constructor(private readonly allowed: readonly string[] | undefined) {}

  static of(namespaces: readonly string[]): Scope {
    return namespaces.includes("*") ? Scope.all : new Scope(namespaces);
  }

  includes(namespace: string): boolean {
    return !this.allowed || this.allowed.includes(namespace);
  }

  /** Throws NOT_FOUND, as for a missing id, when `namespace` is out of scope. */
  see<T>(thing: T | undefined, namespaceOf: (t: T) => string, notFound: string): T {
    if (!thing) throw new NotFoundError(notFound);
    if (!this.includes(namespaceOf(thing))) throw new OutOfScopeError(notFound);
    return thing;
  }

  /** Refuses writing into a namespace out of scope: the caller named it, so nothing is revealed. */
  mayWrite(namespace: string): void {
    if (!this.includes(namespace)) throw new PermissionDeniedError(`namespace ${namespace} is not one this token may use`);
  }

  /** A list filter: the requested namespace (which must be in scope), or all in scope (undefined: all). */
  filter(requested?: string): string[] | undefined {
    if (requested) {
      this.mayWrite(requested);
      return [requested];
    }
    return this.allowed ? [...this.allowed] : undefined;
  }
}
