"""Products (catalog)."""

from gateway.http import json_body, query_args, route
from gateway.routes.roles import ANYONE, STAFF
from gateway.schemas import products as schemas
from gateway.schemas.common import page_of


class ProductRoutes:
    @route(
        "POST",
        "/api/v1/products",
        roles=STAFF,
        summary="Add a product",
        tag="catalog",
        body=schemas.ProductBody,
        response=schemas.Product,
    )
    def create_product(self, request):
        return 201, self.call("catalog", "create_product", json_body(request, schemas.ProductBody))

    @route(
        "GET",
        "/api/v1/products",
        roles=ANYONE,
        summary="Products",
        tag="catalog",
        query=schemas.ProductQuery,
        response=page_of(schemas.Product),
    )
    def list_products(self, request):
        return self.call("catalog", "list_products", query_args(request, schemas.ProductQuery))

    @route(
        "GET",
        "/api/v1/products/<product_id>",
        roles=ANYONE,
        summary="A product",
        tag="catalog",
        response=schemas.Product,
    )
    def get_product(self, request, product_id):
        return self.call("catalog", "get_product", product_id)

    @route(
        "PATCH",
        "/api/v1/products/<product_id>",
        roles=STAFF,
        summary="Edit a product",
        tag="catalog",
        body=schemas.ProductBody,
        response=schemas.Product,
    )
    def update_product(self, request, product_id):
        payload = json_body(request, schemas.ProductBody, partial=True)
        return self.call("catalog", "update_product", product_id, payload)
