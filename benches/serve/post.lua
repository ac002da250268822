-- wrk script: POST the file named by $BODY with the content type $TYPE.
wrk.method = "POST"
wrk.headers["Content-Type"] = os.getenv("TYPE") or "application/json"
local file = assert(io.open(os.getenv("BODY"), "rb"))
wrk.body = file:read("*a")
file:close()
