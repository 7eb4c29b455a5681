// Shared by the pages: where the API is, and the season's grid.
// config.json holds the API's base URL: "" when the pages and the API share
// an origin (the local demo), the API Gateway URL when the pages are on S3.
export async function loadConfig() {
  const response = await fetch("config.json", { cache: "no-cache" });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  const config = await response.json();
  return { apiBaseUrl: (config.apiBaseUrl || "").replace(/\/$/, "") };
}

export async function loadGrid() {
  const response = await fetch("grid.json", { cache: "no-cache" });
  if (!response.ok) throw new Error(`grid.json: HTTP ${response.status}`);
  return (await response.json()).drivers;
}
