import ts from "typescript";

/**
 * Declarations in a package's typings that no entry point exports: internal types a public
 * signature drags into the `.d.ts` files, which a user can see in their editor but cannot import
 * or rely on. Returns `name (file)` for each; an empty list means the typings hold only public API.
 *
 * It asks the type checker, not the text: chunk files re-export under mangled names, and the
 * entry points re-export those again under the public ones.
 */
export function unexportedDeclarations(distDir: string, entryFiles: string[]): string[] {
  const program = ts.createProgram(entryFiles, {
    noEmit: true,
    skipLibCheck: true,
    types: [],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  });
  const checker = program.getTypeChecker();
  const resolve = (symbol: ts.Symbol): ts.Symbol =>
    symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;

  const exported = new Set<ts.Symbol>();
  for (const file of entryFiles) {
    const source = program.getSourceFile(file);
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (!moduleSymbol) throw new Error(`${file}: not a module the type checker can read`);
    for (const symbol of checker.getExportsOfModule(moduleSymbol)) exported.add(resolve(symbol));
  }

  const prefix = `${distDir.replace(/\/$/, "")}/`;
  const leaked: string[] = [];
  for (const source of program.getSourceFiles()) {
    if (!source.fileName.startsWith(prefix)) continue;
    for (const statement of source.statements) {
      for (const name of declaredNames(statement)) {
        const symbol = checker.getSymbolAtLocation(name);
        if (symbol && !exported.has(resolve(symbol))) {
          leaked.push(`${name.text} (${source.fileName.slice(prefix.length)})`);
        }
      }
    }
  }
  return leaked.sort();
}

function declaredNames(statement: ts.Statement): ts.Identifier[] {
  if (
    (ts.isInterfaceDeclaration(statement) ||
      ts.isClassDeclaration(statement) ||
      ts.isTypeAliasDeclaration(statement) ||
      ts.isEnumDeclaration(statement) ||
      ts.isFunctionDeclaration(statement)) &&
    statement.name
  ) {
    return [statement.name];
  }
  if (ts.isVariableStatement(statement)) {
    return statement.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name] : []));
  }
  return [];
}
