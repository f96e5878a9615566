// The API reference page (GET /docs): fetches the service's OpenAPI document and draws every
// operation, grouped by tag: method and path, summary, parameters, request body schema and
// examples, responses. Served by the service itself, loads nothing from elsewhere (the page's
// Content-Security-Policy forbids it), and writes the document's text only as text, never as HTML.
"use strict";

const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"];
const MAX_DEPTH = 8; // schemas nest deeper than this only through a cycle

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === "") continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function resolve(doc, node) {
  // A local $ref ("#/components/schemas/Payout") and the name it was given.
  if (!node || typeof node.$ref !== "string" || !node.$ref.startsWith("#/")) return [node, null];
  let target = doc;
  for (const part of node.$ref.slice(2).split("/")) {
    target = target ? target[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
  }
  return [target, node.$ref.split("/").pop()];
}

function typeName(schema) {
  if (!schema) return "any";
  if (Array.isArray(schema.type)) return schema.type.join(" | ");
  if (schema.type === "array") {
    const items = schema.items || {};
    const name = items.$ref ? items.$ref.split("/").pop() : typeName(items);
    return `array of ${name}`;
  }
  if (schema.type) return schema.type;
  if (schema.oneOf || schema.anyOf) return "one of";
  if (schema.allOf) return "all of";
  if (schema.properties) return "object";
  return "any";
}

function constraints(schema) {
  const said = [];
  if (schema.format) said.push(`format ${schema.format}`);
  if (schema.enum) said.push(`one of: ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`);
  if (schema.const !== undefined) said.push(`always ${JSON.stringify(schema.const)}`);
  for (const [key, words] of [
    ["minLength", "length ≥"], ["maxLength", "length ≤"], ["minimum", "≥"], ["maximum", "≤"],
    ["exclusiveMinimum", ">"], ["exclusiveMaximum", "<"], ["minItems", "items ≥"],
    ["maxItems", "items ≤"], ["maxProperties", "keys ≤"], ["pattern", "pattern"],
    ["default", "default"],
  ]) {
    if (schema[key] !== undefined) said.push(`${words} ${JSON.stringify(schema[key])}`);
  }
  return said.join("; ");
}

function schemaView(doc, node, depth, seen, label = []) {
  // A schema as nested lists: each property (`label`: its name) with its type, whether it is
  // required, its limits and what it means.
  const [schema, name] = resolve(doc, node);
  if (!schema) return el("div", { class: "schema" }, label, el("span", { class: "muted" }, "any"));
  if (name && seen.has(name)) {
    return el("div", { class: "schema" }, label, el("span", { class: "ref" }, name, " (above)"));
  }
  if (depth > MAX_DEPTH) return el("div", { class: "schema" }, label, "…");
  const inside = name ? new Set([...seen, name]) : seen;
  const box = el("div", { class: "schema" });
  const head = el("div", { class: "schema-head" }, label);
  if (name) head.append(el("span", { class: "ref" }, name), " ");
  head.append(el("code", { class: "type" }, typeName(schema)));
  const limits = constraints(schema);
  if (limits) head.append(" ", el("span", { class: "constraints" }, limits));
  box.append(head);
  if (schema.description) box.append(el("p", { class: "description" }, schema.description));
  const variants = schema.oneOf || schema.anyOf || schema.allOf;
  if (variants) {
    box.append(el("ul", { class: "variants" },
      variants.map((variant) => el("li", {}, schemaView(doc, variant, depth + 1, inside)))));
  }
  if (schema.properties) {
    const required = new Set(schema.required || []);
    box.append(el("ul", { class: "properties" }, Object.entries(schema.properties).map(
      ([property, sub]) => el("li", {}, schemaView(doc, sub, depth + 1, inside, [
        el("code", { class: "property" }, property),
        required.has(property) ? el("span", { class: "required" }, "required ") : "",
      ])))));
  }
  if (schema.additionalProperties && typeof schema.additionalProperties === "object") {
    box.append(el("div", { class: "additional" },
      schemaView(doc, schema.additionalProperties, depth + 1, inside, ["each key: "])));
  }
  if (schema.type === "array" || (Array.isArray(schema.type) && schema.type.includes("array"))) {
    if (schema.items) box.append(el("div", { class: "items" },
      schemaView(doc, schema.items, depth + 1, inside, ["each item: "])));
  }
  return box;
}

function examplesView(media) {
  const shown = [];
  if (media.example !== undefined) shown.push(["example", media.example]);
  for (const [name, example] of Object.entries(media.examples || {})) {
    shown.push([example.summary || name, example.value]);
  }
  return shown.map(([title, value]) => el("details", { class: "example" },
    el("summary", {}, title),
    el("pre", {}, typeof value === "string" ? value : JSON.stringify(value, null, 2))));
}

function contentView(doc, content) {
  return Object.entries(content || {}).map(([type, media]) => el("div", { class: "content" },
    el("div", { class: "media-type" }, type),
    media.schema ? schemaView(doc, media.schema, 0, new Set()) : "",
    examplesView(media)));
}

function parametersView(doc, parameters) {
  if (!parameters.length) return "";
  const rows = parameters.map((ref) => {
    const [parameter] = resolve(doc, ref);
    return el("tr", {},
      el("td", {}, el("code", {}, parameter.name),
        parameter.required ? el("span", { class: "required" }, " required") : ""),
      el("td", {}, parameter.in),
      el("td", {}, schemaView(doc, parameter.schema, 1, new Set())),
      el("td", {}, parameter.description || ""));
  });
  return el("section", {}, el("h4", {}, "Parameters"), el("table", {},
    el("thead", {}, el("tr", {}, ["name", "in", "schema", "description"].map((h) => el("th", {}, h)))),
    el("tbody", {}, rows)));
}

function responsesView(doc, responses) {
  return el("section", {}, el("h4", {}, "Responses"), Object.entries(responses || {}).map(
    ([status, ref]) => {
      const [response] = resolve(doc, ref);
      const headers = Object.entries(response.headers || {}).map(([header, spec]) =>
        el("li", {}, el("code", {}, header), " ", resolve(doc, spec)[0].description || ""));
      return el("details", { class: `response status-${status[0]}` },
        el("summary", {}, el("span", { class: "status" }, status), " ", response.description || ""),
        headers.length ? el("ul", { class: "headers" }, headers) : "",
        contentView(doc, response.content));
    }));
}

function operationView(doc, path, method, operation, inherited) {
  const anchor = operation.operationId || `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, "-");
  const open = operation.security ? operation.security.length === 0 : inherited.length === 0;
  const [body] = resolve(doc, operation.requestBody);
  const section = el("section", { class: "operation", id: anchor },
    el("h3", {}, el("span", { class: `method ${method}` }, method.toUpperCase()), " ",
      el("code", { class: "path" }, path)),
    el("p", { class: "summary" }, operation.summary || ""),
    operation.description ? el("p", { class: "description" }, operation.description) : "",
    el("p", { class: "auth" }, open ? "No API key needed." : "Needs an API key: Authorization: Bearer <key>."),
    parametersView(doc, operation.parameters || []),
    body ? el("section", {}, el("h4", {}, body.required ? "Request body (required)" : "Request body"),
      body.description ? el("p", {}, body.description) : "", contentView(doc, body.content)) : "",
    responsesView(doc, operation.responses));
  section.dataset.search = `${method} ${path} ${operation.summary || ""}`.toLowerCase();
  return [anchor, section];
}

function groupedOperations(doc) {
  // Tag name -> [[path, method, operation]...], tags in the document's order, then the others.
  const groups = new Map((doc.tags || []).map((tag) => [tag.name, []]));
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const tag = (operation.tags && operation.tags[0]) || "other";
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag).push([path, method, { ...operation, parameters: [...(item.parameters || []), ...(operation.parameters || [])] }]);
    }
  }
  return [...groups].filter(([, operations]) => operations.length);
}

function draw(doc) {
  const info = doc.info || {};
  document.title = `${info.title || "API"} ${info.version || ""}`.trim();
  document.getElementById("title").textContent = document.title;
  const servers = (doc.servers || []).map((server) => server.url).join(", ");
  document.getElementById("intro").replaceChildren(info.description || "",
    servers ? el("span", { class: "servers" }, ` Base URL: ${servers}.`) : "",
    " The document: ", el("a", { href: "openapi.json" }, "/openapi.json"), ".");
  const descriptions = new Map((doc.tags || []).map((tag) => [tag.name, tag.description]));
  const contents = document.getElementById("contents");
  const main = document.getElementById("operations");
  for (const [tag, operations] of groupedOperations(doc)) {
    const links = el("ul", {});
    const group = el("section", { class: "tag" }, el("h2", {}, tag),
      descriptions.get(tag) ? el("p", { class: "description" }, descriptions.get(tag)) : "");
    for (const [path, method, operation] of operations) {
      const [anchor, section] = operationView(doc, path, method, operation, doc.security || []);
      group.append(section);
      links.append(el("li", {}, el("a", { href: `#${anchor}` },
        el("span", { class: `method ${method}` }, method.toUpperCase()), " ", path)));
    }
    contents.append(el("h2", {}, tag), links);
    main.append(group);
  }
  const filter = document.getElementById("filter");
  filter.hidden = false;
  filter.addEventListener("input", () => {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    for (const section of main.querySelectorAll(".operation")) {
      section.hidden = !words.every((word) => section.dataset.search.includes(word));
    }
  });
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
}

fetch("openapi.json", { headers: { Accept: "application/json" } })
  .then((answer) => {
    if (!answer.ok) throw new Error(`GET /openapi.json answered ${answer.status}`);
    return answer.json();
  })
  .then(draw)
  .catch((error) => {
    document.getElementById("intro").replaceChildren(
      el("strong", { class: "error" }, `The OpenAPI document could not be shown: ${error.message}`));
  });
